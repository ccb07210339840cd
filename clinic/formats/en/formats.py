"""The clinic's date and time style in English (Django's format localization, FORMAT_MODULE_PATH).

Two registers, one clock: staff read the compact form ("Tue 1 Dec 2026 09:00", the same as
`checklists.wording`), patients the written-out one ("Tuesday 1 December 2026"). Always the
24-hour clock: a stop time read as the wrong half of the day is a clinical error.
"""

from checklists.wording import CLOCK_FORMAT, DAY_FORMAT, MOMENT_FORMAT

SHORT_DATE_FORMAT = DAY_FORMAT  # Tue 1 Dec 2026
SHORT_DATETIME_FORMAT = MOMENT_FORMAT  # Tue 1 Dec 2026 09:00
TIME_FORMAT = CLOCK_FORMAT  # 09:00
DATE_FORMAT = "l j F Y"  # Tuesday 1 December 2026
MONTH_DAY_FORMAT = "l j F"  # Tuesday 1 December
DATETIME_FORMAT = "l j F Y H:i"
