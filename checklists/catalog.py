"""Clinic-editable clinical data: the medication catalogue and the rule settings.

`RuleConfig` is the immutable snapshot the readiness engine reads. `selectors.load_rule_config()`
builds it from the database in a fixed number of queries; `RuleConfig.defaults()` builds it from the
shipped defaults for tests that need no database. No ORM here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

from rapidfuzz import process
from rapidfuzz.distance import OSA

from checklists import defaults
from checklists.casedata import NO_ACTION

EXACT = "exact"
PROBABLE = "probable"

# Dose words and forms: dropped with the numbers, so "Eliquis 5mg 1 tab" reads as "eliquis".
_DOSE_WORDS = frozenset(
    "mg mcg ug µg g gm ml iu unit units u tab tabs tablet tablets cap caps capsule capsules "
    "puff puffs pill pills drop drops".split()
)
# Words that say how or when a medicine is taken: never read as a misspelt drug name.
_NOT_A_NAME = frozenset(
    "daily twice once three times morning evening night nightly bedtime needed weekly monthly "
    "every hours before after with without food water take takes taking stopped stop started "
    "shot shots injection injections inhaler cream patch spray solution oral mouth by for and "
    "the per day days week month year years when pain sleep dose doses about some other "
    "liquid vitamin vitamins hearing heart blood pressure sugar thinner water "
    # Spanish: how and when, so that "ayer" is not read as Bayer nor "leve" as Aleve.
    "ayer hoy tomado tomada tomo tomar toma leve lleve para por dia dias noche manana tarde cada "
    "antes despues con sin pastilla pastillas tableta tabletas gotas crema inyeccion inyecciones "
    "una dos tres veces semana semanal mes diario diaria piedra".split()
)
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHE = re.compile(r"['’ʼ`]")
_MARKS = re.compile(r"[®™©℠]")
_NUMBER = re.compile(r"[0-9]+")
_FUZZY_MIN_LETTERS = 5  # catalogue names shorter than this are never guessed at


def _fold(text: str) -> str:
    """Accents dropped (NFKD, combining marks removed), lower case: "Apixabán" -> "apixaban".

    Trade marks go first: NFKD would spell "™" out as "TM".
    """
    decomposed = unicodedata.normalize("NFKD", _MARKS.sub(" ", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@functools.lru_cache(maxsize=8192)  # every line's words, again for each flag naming it
def name_tokens(text: str) -> tuple[str, ...]:
    """The words of a medicine line that can name a drug: doses, numbers and punctuation dropped.

    "Eliquis5mg" -> ("eliquis",); "Janumet 50/1000" -> ("janumet",); "ácido acetilsalicílico 100 mg"
    -> ("acido", "acetilsalicilico"). Catalogue names go through the same function.
    """
    folded = _APOSTROPHE.sub("", _fold(text).replace("µ", "u"))  # "St John's" reads as "st johns"
    words = _NOT_ALNUM.sub(" ", _LETTER_DIGIT.sub(" ", folded)).split()
    return tuple(w for w in words if not _NUMBER.fullmatch(w) and w not in _DOSE_WORDS)


def normalize_name(name: str) -> str:
    """A medicine name as the matcher compares it: "Eliquis® 5 mg" -> "eliquis"."""
    return " ".join(name_tokens(name))


def drug_label(name: str, drug: DrugEntry) -> str:
    """How a line is named beside its drug: "Eliquis 5mg (apixaban)", or plain "fish oil" when the
    line is the drug's own name (staff flags, the patient's instructions and emails)."""
    return name if normalize_name(name) == drug.name else f"{name} ({drug.name})"


@dataclass(frozen=True)
class DrugEntry:
    name: str  # generic name
    drug_class: str
    aliases: tuple[str, ...] = ()  # brands, patient words, Spanish names, combination products
    hold_days: int | None = None
    hold_hours: int | None = None
    renal_egfr_below: float | None = None
    renal_hold_days: int | None = None
    rxnorm: str = ""  # the ingredient's RxNorm RXCUI, "" when not known


@dataclass(frozen=True)
class DrugMatch:
    """One drug a medicine line names, how it was read, and the catalogue name that matched."""

    drug: DrugEntry
    how: str  # EXACT | PROBABLE
    matched_name: str


@dataclass(frozen=True)
class Reading:
    """What a medicine line was read as (MEDICATIONS.md "Matching").

    `matches` are the drugs the line names: exact matches, and probable ones to drugs that need
    something done. A probable match to a no-action drug does not recognise the line; it is kept
    as `suggestion` ("did you mean lisinopril?").
    """

    text: str
    matches: tuple[DrugMatch, ...] = ()
    suggestion: DrugMatch | None = None

    @functools.cached_property  # a kept Reading is asked for its drugs by every rule, every case
    def drugs(self) -> tuple[DrugEntry, ...]:
        return tuple(m.drug for m in self.matches)

    @property
    def recognised(self) -> bool:
        return bool(self.matches)

    def match_for(self, drug: DrugEntry) -> DrugMatch | None:
        return next((m for m in self.matches if m.drug == drug), None)


@dataclass(frozen=True)
class _Index:
    """A catalogue compiled for matching: built once per distinct list of drugs."""

    exact: Mapping[tuple[str, ...], tuple[tuple[DrugEntry, ...], str]]  # tokens -> (drugs, name)
    longest: int  # the most words in one name
    fuzzy_names: tuple[str, ...]  # names of 5+ letters, for typos
    fuzzy_drugs: tuple[tuple[tuple[DrugEntry, ...], str], ...]  # parallel to fuzzy_names


READINGS_KEPT = 4096  # distinct medicine lines remembered per config


@functools.lru_cache(maxsize=8)
def _compile(drugs: tuple[DrugEntry, ...]) -> _Index:
    by_name: dict[tuple[str, ...], dict[str, DrugEntry]] = {}
    shown: dict[tuple[str, ...], str] = {}
    for drug in drugs:
        for name in (drug.name, *drug.aliases):
            tokens = name_tokens(name)
            if tokens:
                by_name.setdefault(tokens, {})[drug.name] = drug
                shown.setdefault(tokens, name.strip().lower())
    exact = {
        tokens: (tuple(sorted(found.values(), key=lambda d: d.name)), shown[tokens])
        for tokens, found in by_name.items()
    }
    fuzzy = [
        (" ".join(tokens), entry)
        for tokens, entry in exact.items()
        if sum(len(t) for t in tokens) >= _FUZZY_MIN_LETTERS
    ]
    return _Index(
        exact=MappingProxyType(exact),
        longest=max((len(t) for t in exact), default=1),
        fuzzy_names=tuple(name for name, _ in fuzzy),
        fuzzy_drugs=tuple(entry for _, entry in fuzzy),
    )


def _allowed_edits(name: str) -> int:
    """Typos tolerated: one for a name of 5-6 letters, two for 7 or more."""
    return 1 if len(name.replace(" ", "")) < 7 else 2


def read_medication(text: str, drugs: tuple[DrugEntry, ...]) -> Reading:
    """Read one medicine line against the catalogue `drugs` (MEDICATIONS.md, steps 1-4)."""
    return _read(text, _compile(drugs))


def _read(text: str, index: _Index) -> Reading:
    tokens = name_tokens(text)

    # Exact: every name found as whole words; where names overlap, the longest wins.
    spans = []
    for start in range(len(tokens)):
        for length in range(min(index.longest, len(tokens) - start), 0, -1):
            entry = index.exact.get(tokens[start : start + length])
            if entry is not None:
                spans.append((start, start + length, entry))
    spans.sort(key=lambda s: (-(s[1] - s[0]), -len(s[2][1]), s[0]))
    covered: set[int] = set()
    found: dict[str, DrugMatch] = {}
    for start, end, (entry_drugs, name) in spans:
        if covered.intersection(range(start, end)):
            continue
        covered.update(range(start, end))
        for drug in entry_drugs:
            found.setdefault(drug.name, DrugMatch(drug, EXACT, name))

    # Probable: words no exact name covered, one or two at a time, against names of 5+ letters.
    suggestion = None
    for _start, _end, (guess_drugs, name) in _probable_spans(tokens, covered, index):
        acts = [d for d in guess_drugs if d.drug_class != NO_ACTION]
        for drug in acts:
            found.setdefault(drug.name, DrugMatch(drug, PROBABLE, name))
        if not acts and suggestion is None and not found:
            suggestion = DrugMatch(guess_drugs[0], PROBABLE, name)
    matches = tuple(sorted(found.values(), key=lambda m: m.drug.name))
    return Reading(text=text, matches=matches, suggestion=None if matches else suggestion)


def _probable_spans(tokens: tuple[str, ...], covered: set[int], index: _Index) -> list:
    """Non-overlapping (start, end, (drugs, name)) guesses for the uncovered words, best first."""
    if not index.fuzzy_names:
        return []
    guesses = []
    for start in range(len(tokens)):
        for length in (1, 2):
            end = start + length
            words = tokens[start:end]
            if (
                end > len(tokens)
                or covered.intersection(range(start, end))
                or all(w in _NOT_A_NAME for w in words)
                # A one- or two-letter word is never a typo: "vitamin a" is not "vitamin e".
                or (length > 1 and any(len(w) <= 2 for w in words))
            ):
                continue
            query = " ".join(words)
            if len(query.replace(" ", "")) < _FUZZY_MIN_LETTERS - 1:
                continue
            for name, distance, i in process.extract(
                query, index.fuzzy_names, scorer=OSA.distance, score_cutoff=2, limit=None
            ):
                if distance <= _allowed_edits(name):
                    drugs = index.fuzzy_drugs[i][0]
                    acts = any(d.drug_class != NO_ACTION for d in drugs)
                    # Closest first; on a tie, the reading that needs action (the safer guess).
                    guesses.append(((distance, not acts, -length, name), start, end, index.fuzzy_drugs[i]))
    guesses.sort(key=lambda g: g[0])
    chosen, taken = [], set()
    for _key, start, end, entry in guesses:
        if taken.intersection(range(start, end)):
            continue
        taken.update(range(start, end))
        chosen.append((start, end, entry))
    return chosen


@dataclass(frozen=True)
class PremedStep:
    drug: str
    hours_before_start: int
    drug_es: str = ""  # the words for a Spanish-speaking patient


@dataclass(frozen=True)
class RuleConfig:
    time_zone: ZoneInfo
    food_stop_hours: float
    clear_liquids_stop_hours: float
    arrival_minutes_before: int
    minutes_per_level: int
    observation_minutes: int
    lab_validity_days: int
    warfarin_inr_validity_days: int
    inr_max: float
    platelets_min: float
    metformin_egfr_below: float
    pregnancy_age_below: int
    deadlines: Mapping[str, int]  # flag code -> hours before start
    premedication: tuple[PremedStep, ...]
    drugs: tuple[DrugEntry, ...]
    # The rule data's version as read (a stored answer says which rules it was computed with);
    # None for a config not read from the database (a file check, a test).
    data_version: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "deadlines", MappingProxyType(dict(self.deadlines)))

    def read(self, name: str) -> Reading:
        """How the clinic's catalogue reads one medicine line (exact, probable, or not at all)."""
        read = self.__dict__.get("_read")
        if read is None:  # once per config: hashing the catalogue to find it costs as much as a read
            # A Reading is immutable and the same lines recur across cases ("aspirin 81 mg"): each
            # is read once per config (a process keeps its config while the rule data is unchanged).
            read = functools.lru_cache(maxsize=READINGS_KEPT)(
                functools.partial(_read, index=_compile(self.drugs))
            )
            object.__setattr__(self, "_read", read)
        return read(name)

    def drug_named(self, name: str) -> DrugEntry | None:
        """The catalogue drug of this generic name, if any."""
        named = self.__dict__.get("_named")
        if named is None:
            named = {d.name: d for d in self.drugs}
            object.__setattr__(self, "_named", named)
        return named.get(name)

    def match(self, name: str) -> tuple[DrugEntry, ...]:
        """Every catalogue drug the line names (a combination product gives each of its drugs)."""
        return self.read(name).drugs

    @classmethod
    def defaults(cls, time_zone: str = "UTC") -> RuleConfig:
        """The shipped defaults, without a database (for unit tests and documentation)."""
        values = {name: value for name, (value, _source) in defaults.RULE_SETTINGS.items()}
        return cls(
            time_zone=ZoneInfo(time_zone),
            **values,
            deadlines=defaults.FLAG_DEADLINES,
            premedication=tuple(PremedStep(drug, hours) for drug, hours in defaults.PREMEDICATION),
            drugs=tuple(
                sorted(
                    (
                        DrugEntry(
                            name=d["name"],
                            drug_class=d["drug_class"],
                            aliases=tuple(d["aliases"]),
                            hold_days=d.get("hold_days"),
                            hold_hours=d.get("hold_hours"),
                            renal_egfr_below=d.get("renal_egfr_below"),
                            renal_hold_days=d.get("renal_hold_days"),
                            rxnorm=d.get("rxnorm", ""),
                        )
                        for d in defaults.catalogue_drugs()
                    ),
                    key=lambda d: d.name,
                )
            ),
        )
