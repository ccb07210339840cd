"""`compile_translations`: every locale/*/LC_MESSAGES/*.po to .mo, in pure Python (polib).

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh laptop may lack; the .mo
files are build output (git-ignored), so `make run` and the tests compile them with this.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the project's .po translation files to .mo (no GNU gettext needed)."

    def handle(self, *args, **options) -> None:
        count = 0
        for locale_dir in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
                try:
                    catalog = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                mo_path = po_path.with_suffix(".mo")
                # Only translated, non-fuzzy entries go in (as msgfmt does).
                catalog.save_as_mofile(str(mo_path))
                count += 1
                self.stdout.write(
                    f"{po_path.relative_to(locale_dir)}: {len(catalog.translated_entries())} "
                    f"translated, {len(catalog.untranslated_entries())} untranslated, "
                    f"{len(catalog.fuzzy_entries())} fuzzy"
                )
        self.stdout.write(f"Compiled {count} translation file(s).")
