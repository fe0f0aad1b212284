"""The results contract: one declaration per table that analysis writes and the report reads.

Each :class:`TableSpec` names the table, its typed columns (in order), a description, whether
it is public or private to one program, and the module that produces it. The analysis builds
its frames from these declarations (``spec("indicators").columns``), the store refuses a frame
that does not match (:meth:`TableSpec.check`), and the report reads typed columns: lists are
lists (``list<string>``), never text to split.

Column types (``dtype``) are those of the Parquet file: ``string``, ``int64``, ``float64``,
``bool`` and ``list<string>``. In CSV a ``list<string>`` cell is a JSON array
(``["a","b"]``, an empty list ``[]``), the one representation that survives commas in values.

Private tables are one program's numbers. Their names are ``programs/<id>`` (and, per
program, more tables may follow); they are stored under ``private/``, apart from the public
``tables/``, so that publishing ``tables/`` can never ship them.

>>> spec("indicators").names[:3], spec("programs/P0001").name
(['indicator', 'outcome', 'survey'], 'programs/{program}')
>>> is_private("programs/P0001"), is_private("indicators")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from ci_eval.errors import AnalysisError

LANGUAGES = ("en", "fr")
"""The languages every label of the results is given in (a column each in ``labels``); the
report's languages are among them."""

PRIVATE_PREFIX = "programs/"
"""Table names under this prefix are one program's private tables (``programs/<id>``)."""

DTYPES = ("string", "int64", "float64", "bool", "list<string>")
_ARROW = {
    "string": (pa.large_string(), pa.string()),
    "int64": (pa.int64(),),
    "float64": (pa.float64(),),
    "bool": (pa.bool_(),),
    "list<string>": (pa.list_(pa.string()), pa.list_(pa.large_string())),
}


@dataclass(frozen=True)
class Column:
    """One column of a results table: its name, type (:data:`DTYPES`) and meaning."""

    name: str
    dtype: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise AnalysisError(
                f"column {self.name!r}: dtype {self.dtype!r} is not one of {DTYPES}"
            )

    @property
    def arrow(self) -> pa.DataType:
        """The Arrow type the column is stored with."""
        return _ARROW[self.dtype][0]

    def accepts(self, arrow: pa.DataType) -> bool:
        """Whether values of Arrow type ``arrow`` are of this column's type (a list's item
        name, ``item`` or ``element``, does not matter)."""
        if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
            return self.dtype == "list<string>" and arrow.value_type in _ARROW["string"]
        return arrow in _ARROW[self.dtype]


@dataclass(frozen=True)
class TableSpec:
    """The declaration of one results table."""

    name: str
    columns: tuple[Column, ...]
    description: str
    producer: str
    private: bool = False
    stage: str = "estimate"

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """A frame with no rows and the declared columns and types.

        >>> spec("balance").empty().dtypes.astype(str).tolist()
        ['str', 'str', 'str', 'str', 'str', 'float64', 'float64']
        """
        schema = pa.schema([(c.name, c.arrow) for c in self.columns])
        return schema.empty_table().to_pandas()

    def check(self, name: str, frame: pd.DataFrame) -> pa.Table:
        """The frame as an Arrow table, after checking column names, order and types.

        A column whose values are all missing (Arrow type ``null``), or a list column whose
        lists are all empty, or any column of a table with no rows, takes the declared type.
        Raises :class:`~ci_eval.errors.AnalysisError` naming the table and the column.

        >>> spec("benchmark_peers").check("benchmark_peers", pd.DataFrame(
        ...     {"peer_group": ["a"], "programs": ["5"]}))
        Traceback (most recent call last):
        ...
        ci_eval.errors.AnalysisError: table 'benchmark_peers', column 'programs': type string, \
the contract (ci_eval.results.contract) declares int64
        """
        got = [str(c) for c in frame.columns]
        if got != self.names:
            missing = [c for c in self.names if c not in got]
            extra = [c for c in got if c not in self.names]
            raise AnalysisError(
                f"table {name!r}: columns {got} do not match the contract {self.names} "
                f"(missing {missing}, unexpected {extra}, or out of order); fix the producer "
                f"{self.producer} or the declaration in ci_eval.results.contract"
            )
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for k, column in enumerate(self.columns):
            actual = table.schema.field(k).type
            empty_lists = pa.types.is_list(actual) and pa.types.is_null(actual.value_type)
            no_rows = table.num_rows == 0  # a table with no rows holds no wrong value
            if pa.types.is_null(actual) or empty_lists or no_rows:
                table = table.set_column(k, column.name, table.column(k).cast(column.arrow))
            elif not column.accepts(actual):
                shown = next((d for d, types in _ARROW.items() if actual in types), str(actual))
                raise AnalysisError(
                    f"table {name!r}, column {column.name!r}: type {shown}, the contract "
                    f"(ci_eval.results.contract) declares {column.dtype}"
                )
        return table.replace_schema_metadata(None)


def _cols(*items: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*item) for item in items)


STR, INT, FLOAT, BOOL, LIST = "string", "int64", "float64", "bool", "list<string>"
_ESTIMATE = (
    ("estimate", FLOAT, "the point estimate"),
    ("se", FLOAT, "its design-based standard error"),
    ("ci_low", FLOAT, "lower bound of the confidence interval"),
    ("ci_high", FLOAT, "upper bound of the confidence interval"),
)
_SUPPRESSION = (
    ("suppressed", BOOL, "True when the row's estimated values are withheld (and blank)"),
    ("reason", STR, "why it is suppressed, in words; empty when shown"),
)
_SYMBOL = (
    "symbol",
    STR,
    "quality symbol: '' shown, 'E' use with caution, 'F' too unreliable (suppressed), "
    "'x' suppressed for confidentiality",
)

_DECLARED = [
    TableSpec(
        "labels",
        _cols(("kind", STR), ("id", STR), ("parent", STR), *((lang, STR) for lang in LANGUAGES)),
        "Labels (en, fr) of outcomes, indicators, variables, levels, surveys, universes",
        "ci_eval.analysis.labels",
    ),
    TableSpec(
        "indicators",
        _cols(
            ("indicator", STR),
            ("outcome", STR),
            ("survey", STR),
            ("wave", STR),
            ("domain", STR, "'overall' or the disaggregation variable"),
            ("domain_value", STR, "the category code as text ('' for overall)"),
            ("statistic", STR, "mean, proportion or total"),
            *_ESTIMATE,
            ("n", INT, "unweighted respondents"),
            ("cv", FLOAT, "coefficient of variation, percent"),
            (
                "flag",
                STR,
                "the CV quality flag: '', 'E' (use with caution) or 'F' (too unreliable)",
            ),
            _SYMBOL,
            *_SUPPRESSION,
            ("universe", STR, "who the indicator is about (a labels id)"),
            ("missing_treatment", STR, "how don't-know answers were treated"),
        ),
        "Indicator estimates by survey, wave and domain, with disclosure flags",
        "ci_eval.analysis.indicators",
    ),
    TableSpec(
        "trends",
        _cols(
            (
                "family",
                STR,
                "the family its q-value is corrected in: headline:<survey>, "
                "overall:<survey> or subgroups:<indicator>",
            ),
            ("survey", STR),
            ("indicator", STR),
            ("domain", STR),
            ("domain_value", STR),
            ("baseline_wave", STR),
            ("wave", STR),
            ("baseline", FLOAT),
            ("estimate", FLOAT),
            ("change", FLOAT),
            ("se", FLOAT),
            ("ci_low", FLOAT),
            ("ci_high", FLOAT),
            ("p_value", FLOAT),
            ("q_value", FLOAT, "Benjamini-Hochberg adjusted p-value within the family and wave"),
            ("direction", STR),
            (
                "trend",
                STR,
                "improved, worsened, steady, increased or decreased (no direction), "
                "or not_assessed (with its reason)",
            ),
            *_SUPPRESSION,
        ),
        "Change of each indicator since the baseline wave",
        "ci_eval.analysis.trends",
    ),
    TableSpec(
        "scorecard",
        _cols(
            ("survey", STR),
            ("baseline_wave", STR),
            ("wave", STR),
            ("trend", STR),
            ("count", INT),
            ("total", INT),
        ),
        "Count of indicators by trend category",
        "ci_eval.analysis.trends",
    ),
    TableSpec(
        "trend_families",
        _cols(
            ("family", STR, "headline:<survey>, overall:<survey> or subgroups:<indicator>"),
            ("survey", STR),
            ("baseline_wave", STR),
            ("wave", STR),
            ("improved", INT),
            ("steady", INT),
            ("worsened", INT),
            ("increased", INT),
            ("decreased", INT),
            ("not_assessed", INT),
            ("total", INT, "changes in the family"),
            ("with_direction", INT, "changes of indicators with a good direction"),
            ("summary", STR, '"N of M improved" (M: with_direction)'),
        ),
        "Trends counted per false-discovery family and wave",
        "ci_eval.analysis.trend_families",
    ),
    TableSpec(
        "equity_gaps",
        _cols(
            ("indicator", STR),
            ("group_variable", STR, "the equity variable (indigenous, disability, ...)"),
            ("group", STR, "the group's codes, '+'-joined"),
            ("comparison", STR, "the comparison group's codes, '+'-joined (its complement)"),
            ("domain", STR, "overall, or the variable of an intersection (e.g. region)"),
            ("domain_value", STR),
            ("wave", STR),
            ("estimate_group", FLOAT),
            ("se_group", FLOAT),
            ("estimate_comparison", FLOAT),
            ("se_comparison", FLOAT),
            ("difference", FLOAT, "group minus comparison, in the indicator's units"),
            ("difference_se", FLOAT, "from the joint design covariance of the two cells"),
            ("difference_ci_low", FLOAT),
            ("difference_ci_high", FLOAT),
            ("ratio", FLOAT, "group / comparison"),
            ("log_ratio_se", FLOAT, "delta-method SE of log(ratio)"),
            ("ratio_ci_low", FLOAT),
            ("ratio_ci_high", FLOAT),
            ("n_group", INT),
            ("n_comparison", INT),
            ("flag", STR, "Statistics Canada quality symbol of the weaker cell: E, F or empty"),
            *_SUPPRESSION,
        ),
        "Equity gaps: an indicator in a group and in its comparison, difference and ratio",
        "ci_eval.analysis.equity",
    ),
    TableSpec(
        "targets",
        _cols(
            ("indicator", STR),
            ("wave", STR),
            ("estimate", FLOAT),
            ("baseline", FLOAT),
            ("target", FLOAT),
            ("target_wave", STR),
            ("progress", FLOAT),
            ("on_track", BOOL),
            ("assessed", BOOL),
        ),
        "Progress of indicators towards their targets",
        "ci_eval.analysis.targets",
    ),
    TableSpec(
        "contributions",
        _cols(
            ("contribution", STR),
            ("outcome", STR),
            ("exposure", STR),
            (
                "universe",
                STR,
                "who the comparison is about: the exposure's universe, else the outcome's",
            ),
            ("adjust_for", LIST, "the covariates of the adjusted models, as in the model file"),
            ("wave", STR),
            ("high", STR, "the exposure level compared (code as text; '' when suppressed)"),
            ("low", STR, "the reference exposure level (code as text; '' when suppressed)"),
            ("model", STR),
            ("measure", STR),
            *_ESTIMATE,
            ("p_value", FLOAT),
            ("e_value", FLOAT),
            ("e_value_ci", FLOAT),
            ("n", INT),
            ("primary", BOOL, "the estimate a report leads with ([analysis] primary_estimator)"),
            *_SUPPRESSION,
        ),
        "Contribution of mentoring to outcomes, by model",
        "ci_eval.analysis.contribution.tables",
    ),
    TableSpec(
        "balance",
        _cols(
            ("contribution", STR),
            ("wave", STR),
            ("covariate", STR, "the model term: variable=level for a category's dummy"),
            ("variable", STR, "the covariate's codebook variable"),
            ("level", STR, "the category's code of a dummy; empty for a numeric covariate"),
            ("smd_before", FLOAT),
            ("smd_after", FLOAT),
        ),
        "Standardised mean differences of the covariates before and after weighting",
        "ci_eval.analysis.contribution.overlap",
    ),
    TableSpec(
        "overlap",
        _cols(
            ("contribution", STR),
            ("wave", STR),
            ("group", STR),
            ("bin_low", FLOAT),
            ("bin_high", FLOAT),
            ("share", FLOAT),
        ),
        "Distribution of the propensity score among exposed and unexposed",
        "ci_eval.analysis.contribution.overlap",
    ),
    TableSpec(
        "dose_response",
        _cols(
            ("contribution", STR),
            ("wave", STR),
            ("exposure_level", STR),
            ("order", INT),
            *_ESTIMATE,
            ("n", INT),
            *_SUPPRESSION,
        ),
        "Standardised outcome at each level of an ordered exposure",
        "ci_eval.analysis.contribution.dose",
    ),
    TableSpec(
        "gap_projection",
        _cols(
            ("contribution", STR),
            ("wave", STR),
            ("population", STR),
            ("scenario", STR),
            *_ESTIMATE,
            ("change", FLOAT),
            ("change_ci_low", FLOAT),
            ("change_ci_high", FLOAT),
            ("n", INT),
        ),
        "Outcome expected if those who wanted a mentor had one",
        "ci_eval.analysis.contribution.gap",
    ),
    TableSpec(
        "reliability",
        _cols(
            ("indicator", STR),
            ("wave", STR),
            ("language", STR),
            ("n", INT),
            ("items", INT),
            ("alpha", FLOAT),
            ("ci_low", FLOAT),
            ("ci_high", FLOAT),
        ),
        "Reliability (Cronbach's alpha) of the scales",
        "ci_eval.analysis.reliability_stage",
    ),
    TableSpec(
        "weighting",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("n", INT),
            ("sum_weights", FLOAT),
            ("kish_deff", FLOAT),
            ("effective_n", FLOAT),
            ("min", FLOAT),
            ("max", FLOAT),
            ("ratio", FLOAT),
            ("iterations", INT),
            ("converged", BOOL),
            ("trimmed", BOOL),
        ),
        "Weighting diagnostics per survey wave",
        "ci_eval.analysis.weighting_stage",
    ),
    TableSpec(
        "weighting_margins",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("variables", LIST, "the margin's variables (more than one: a crossed margin)"),
            ("levels", LIST, "the cell's code of each variable, as text"),
            ("target", FLOAT),
            ("before", FLOAT),
            ("after", FLOAT),
        ),
        "Population margins before and after weighting",
        "ci_eval.analysis.weighting_stage",
    ),
    TableSpec(
        "quality",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("rule", STR),
            ("flagged", INT),
            ("excluded", INT),
            ("remaining", INT),
            (
                "about",
                STR,
                "what a scoring warning is about (an indicator, or a variable and its code); "
                "empty for the exclusion rules",
            ),
        ),
        "Responses excluded by each quality rule, then the scoring warnings",
        "ci_eval.quality",
    ),
    TableSpec(
        "surveys",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("unit", STR, "what a row of its data is: respondent or program"),
            *(
                (f"{text}_{lang}", STR, f"{what} ({lang}; '' when the study file does not say)")
                for text, what in (
                    ("population", "the population the survey is about"),
                    ("sample", "how the sample was drawn and the questionnaire given"),
                    ("publisher", "who ran the survey"),
                    ("targets_source", "where the weighting targets come from"),
                )
                for lang in ("en", "fr")
            ),
            ("fieldwork_start", STR, "first day of data collection (ISO date; '' unknown)"),
            ("fieldwork_end", STR, "last day of data collection (ISO date; '' unknown)"),
            ("invited", INT, "people or programs invited (0 when not known)"),
            ("rate", FLOAT, "response or participation rate, a share (NaN when not known)"),
            ("rate_kind", STR, "response, participation, or '' when not known"),
            ("responses", INT, "responses received (rows read)"),
            ("analysed", INT, "responses kept after the quality rules"),
            ("weighted", BOOL, "whether the wave is weighted to population margins"),
            ("margins", LIST, "its weighting margins ('a x b' for a crossed margin)"),
            ("simulated", BOOL, "whether the survey's data are simulated"),
        ),
        "What each survey wave is: population, sample, fieldwork, counts, weighting",
        "ci_eval.analysis.surveys",
    ),
    TableSpec(
        "benchmark_peers",
        _cols(("peer_group", STR), ("programs", INT)),
        "Size of every peer group used by a program benchmark",
        "ci_eval.analysis.benchmark.tables",
    ),
    TableSpec(
        "toc_outcomes",
        _cols(
            ("outcome", STR), ("level", STR), ("leads_to", LIST, "ids of the outcomes it leads to")
        ),
        "Outcomes of the theory of change and their links",
        "ci_eval.pipeline",
    ),
    TableSpec(
        "toc_indicators",
        _cols(
            ("indicator", STR),
            ("outcome", STR),
            ("unit", STR, "how its values read: percent, score, count or number"),
            ("baseline", FLOAT, "the model's external baseline value (NaN: none)"),
            ("baseline_wave", STR, "the wave the external baseline stands for"),
            ("baseline_source", STR, "where the external baseline comes from"),
            ("target_source", STR, "where the target comes from ('' when unstated)"),
        ),
        "Indicators of the theory of change: unit, external baseline and their sources",
        "ci_eval.pipeline",
    ),
    TableSpec(
        "partnership_conditions",
        _cols(
            ("condition", STR, "a condition of collective impact (common_agenda, ...)"),
            ("kind", STR, "condition, precondition, principle (equity, youth voice) or other"),
            ("survey", STR, "the partner survey"),
            ("wave", STR),
            ("domain", STR, "'overall', or the partner characteristic (sector, role)"),
            ("domain_value", STR, "the category code as text ('' for overall)"),
            ("estimate", FLOAT, "mean condition score of the members (1-5)"),
            ("se", FLOAT, "standard error, census of the members with non-response (fpc)"),
            ("ci_low", FLOAT),
            ("ci_high", FLOAT),
            ("n", INT, "responding partners with a score"),
            ("members", INT, "member organisations in the domain (the fpc's population)"),
            ("cv", FLOAT, "coefficient of variation, percent"),
            ("flag", STR, "the CV quality flag: '', 'E' or 'F'"),
            _SYMBOL,
            *_SUPPRESSION,
        ),
        "Partnership health: the members' mean score of each condition, by wave and domain",
        "ci_eval.analysis.partnership",
    ),
    TableSpec(
        "partnership_reliability",
        _cols(
            ("survey", STR),
            ("condition", STR),
            ("wave", STR),
            ("n", INT, "respondents who answered every item"),
            ("n_items", INT),
            ("alpha", FLOAT, "Cronbach's alpha"),
            ("ci_low", FLOAT, "Feldt interval"),
            ("ci_high", FLOAT),
        ),
        "Internal consistency of each partnership condition's items",
        "ci_eval.analysis.partnership",
    ),
    TableSpec(
        "partnership_network",
        _cols(
            ("survey", STR),
            (
                "scope",
                STR,
                "respondents: ties among responding members only; reconstructed: every member, "
                "ties reported by either side (ties between two non-respondents unseen)",
            ),
            ("metric", STR, "density, backbone_tied, cross_sector, centralisation, ..."),
            ("wave", STR),
            ("value", FLOAT),
            ("se", FLOAT, "jackknife over the respondents with the membership fpc"),
            ("ci_low", FLOAT, "normal interval, cut to the metric's range"),
            ("ci_high", FLOAT),
            ("baseline_wave", STR),
            ("baseline", FLOAT, "the metric in the baseline wave"),
            ("change", FLOAT, "value minus baseline"),
            ("change_ci_low", FLOAT, "the two waves' variances added; empty at the baseline"),
            ("change_ci_high", FLOAT),
        ),
        "Partnership network metrics per wave and their change since the baseline",
        "ci_eval.analysis.partnership_network",
    ),
    TableSpec(
        "partnership_sector_ties",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("sector_a", STR, "sector code (the lower code of the pair)"),
            ("sector_b", STR),
            ("members_a", INT, "member organisations in sector_a"),
            ("members_b", INT),
            ("ties", INT, "ties between the two sectors (within, when equal)"),
            ("density", FLOAT, "ties over possible pairs"),
        ),
        "The partnership network by sector (reconstructed ties): no organisation is named",
        "ci_eval.analysis.partnership_network",
    ),
    TableSpec(
        "partnership_members",
        _cols(
            ("survey", STR),
            ("wave", STR),
            ("partner", STR, "the member's name in the membership list (else its id)"),
            ("sector", STR, "sector code"),
            ("role", STR, "role code"),
            ("responded", BOOL, "whether the member answered the wave"),
            ("ties", INT, "ties reported by either side (reconstructed network)"),
            ("cross_sector_ties", INT, "its ties with members of other sectors"),
        ),
        "Each member organisation's ties, by name: empty unless [analysis.partnership] "
        "partner_names = true",
        "ci_eval.analysis.partnership_network",
    ),
    TableSpec(
        PRIVATE_PREFIX + "{program}",
        _cols(
            ("indicator", STR),
            ("wave", STR, "the latest wave and the one before"),
            ("scope", STR, "'group' (the program's peer group) or 'national' (all programs)"),
            ("peer_group", STR, "the group's criteria, e.g. 'org_type=1, region=1+6'"),
            ("peer_variables", LIST, "the criteria's variables"),
            ("peer_levels", LIST, "each criterion's codes, '+'-joined"),
            ("kind", STR, "'yes_no' (a count of yes) or 'number' (quartile averages)"),
            ("value", FLOAT, "the program's own value"),
            ("n", INT, "programs of the scope that answered, the program included"),
            (
                "average",
                FLOAT,
                "national rows: the public average per program (a share for yes/no)",
            ),
            ("p25", FLOAT, "mean of the peer_k values nearest the 25th percentile, rounded"),
            ("median", FLOAT, "mean of the peer_k values nearest the median, rounded"),
            ("p75", FLOAT, "mean of the peer_k values nearest the 75th percentile, rounded"),
            ("yes", FLOAT, "programs of the scope answering yes (a yes/no indicator)"),
            ("rank_band", STR, "the program's quarter: bottom, second, third, top or ''"),
            (_SYMBOL[0], STR, "'' shown, 'x' suppressed for confidentiality"),
            *_SUPPRESSION,
        ),
        "One program's indicators beside its peer group and all programs (private)",
        "ci_eval.analysis.benchmark.tables",
        private=True,
    ),
]
_DECLARED.append(
    TableSpec(
        "partnership_trends",
        next(t for t in _DECLARED if t.name == "trends").columns,
        "Change of each partnership condition since the baseline ('indicator' is the condition)",
        "ci_eval.analysis.partnership",
    )
)
TABLES: dict[str, TableSpec] = {t.name: t for t in _DECLARED}
"""Every declared table by name; a private table's name is a pattern (``programs/{program}``)."""


def is_private(name: str) -> bool:
    """Whether the table ``name`` is one program's private table."""
    return name.startswith(PRIVATE_PREFIX)


def program_table(program: str) -> str:
    """The name of a program's private benchmark table.

    >>> program_table("P0001")
    'programs/P0001'
    """
    return f"{PRIVATE_PREFIX}{program}"


def program_of(name: str) -> str:
    """The program id of a private table name (``programs/P0001`` -> ``P0001``)."""
    return name[len(PRIVATE_PREFIX) :]


def spec(name: str) -> TableSpec:
    """The declaration of table ``name``; :class:`AnalysisError` for an undeclared name."""
    if is_private(name) and "/" not in program_of(name) and program_of(name):
        return TABLES[PRIVATE_PREFIX + "{program}"]
    if name in TABLES and not TABLES[name].private:
        return TABLES[name]
    raise AnalysisError(
        f"table {name!r} is not in the results contract (declared: "
        f"{', '.join(sorted(TABLES))}); declare it in ci_eval.results.contract"
    )


def columns(name: str) -> list[str]:
    """The column names of a declared table, in order.

    >>> columns("benchmark_peers")
    ['peer_group', 'programs']
    """
    return spec(name).names


def descriptions() -> dict[str, str]:
    """Every declared table's description, by name."""
    return {name: t.description for name, t in TABLES.items()}
