# 三(八) compute voucher for one applicant with one claim; amounts in integer cents.
package voucher

import rego.v1

tier := {"rate": 50, "cap": 200000000} if {
	input.kind in {"university", "research-institute"}
} else := {"rate": 30, "cap": 1000000000} if {
	input.revenue >= 1000000000
} else := {"rate": 40, "cap": 500000000} if {
	input.revenue >= 100000000
} else := {"rate": 50, "cap": 200000000}

eligible if {
	input.qualified
	input.date >= "2025-04-21"
	input.date <= "2027-12-31"
}

default amount := 0

amount := min({floor((input.spend_cents * tier.rate + 50) / 100), tier.cap}) if eligible
