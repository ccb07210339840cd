"""The clinic's date and time style in Spanish: as in English (clinic/formats/en), in Spanish words."""

from checklists.wording import CLOCK_FORMAT, DAY_FORMAT, MOMENT_FORMAT

SHORT_DATE_FORMAT = DAY_FORMAT  # mar 1 dic 2026
SHORT_DATETIME_FORMAT = MOMENT_FORMAT
TIME_FORMAT = CLOCK_FORMAT  # 09:00
DATE_FORMAT = r"l j \d\e F \d\e Y"  # martes 1 de diciembre de 2026
MONTH_DAY_FORMAT = r"l j \d\e F"  # martes 1 de diciembre
DATETIME_FORMAT = r"l j \d\e F \d\e Y H:i"
