"""What every test shares: the language of the command line, whatever the machine's locale.

``ordinance`` speaks Chinese when ``ORDINANCE_LANG`` says so, or when the locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``) is Chinese.  The suite's expectations (golden files, messages) are the
English ones, so the language is pinned here, for this process and the commands it starts; the
tests of choosing a language (tests/test_messages.py) set the environment they mean.
"""

import os

os.environ["ORDINANCE_LANG"] = "en"
