"""Variables of the demo surveys, in the codebook's YAML form (see ``HELPERS_STUDY.md``).

The generator writes these as ``surveys/<survey>/codebook.yaml`` and uses the same
labels for the ``.sav`` files, so data and codebook cannot drift apart.

>>> names = [v["name"] for v in youth_variables()]
>>> names[:3], len(names)
(['respondent_id', 'survey_language', 'province'], 63)
"""

from __future__ import annotations

from typing import Any

from ci_eval.demo.population import AGE_BANDS, PROVINCES, REGIONS

Labels = dict[Any, tuple[str, str]]

YES_NO: Labels = {1: ("Yes", "Oui"), 2: ("No", "Non")}
DONT_KNOW: Labels = {8: ("Don't know", "Je ne sais pas")}
PREFER_NOT: Labels = {9: ("Prefer not to say", "Préfère ne pas répondre")}
AGREE: Labels = {
    1: ("Strongly disagree", "Tout à fait en désaccord"),
    2: ("Disagree", "En désaccord"),
    3: ("Neither agree nor disagree", "Ni en accord ni en désaccord"),
    4: ("Agree", "D'accord"),
    5: ("Strongly agree", "Tout à fait d'accord"),
}
FREQUENCY: Labels = {
    1: ("None of the time", "Jamais"),
    2: ("Rarely", "Rarement"),
    3: ("Some of the time", "Parfois"),
    4: ("Often", "Souvent"),
    5: ("All of the time", "Tout le temps"),
}
PRACTICE: Labels = {
    1: ("Not in place", "Pas en place"),
    2: ("Partly in place", "Partiellement en place"),
    3: ("Fully in place", "Entièrement en place"),
}
SELECTED: Labels = {1: ("Selected", "Sélectionné"), 0: ("Not selected", "Non sélectionné")}

PROVINCE_LABELS: Labels = {code: (name, name) for code, (_, name, _) in PROVINCES.items()}
PROVINCE_LABELS.update({24: ("Quebec", "Québec"), 10: ("Newfoundland and Labrador",
    "Terre-Neuve-et-Labrador"), 11: ("Prince Edward Island", "Île-du-Prince-Édouard"),
    12: ("Nova Scotia", "Nouvelle-Écosse"), 13: ("New Brunswick", "Nouveau-Brunswick"),
    59: ("British Columbia", "Colombie-Britannique"), 61: ("Northwest Territories",
    "Territoires du Nord-Ouest")})  # fmt: skip
REGION_LABELS: Labels = dict(REGIONS)
LANGUAGE_LABELS: Labels = {"en": ("English", "Anglais"), "fr": ("French", "Français")}


REPORT_LABELS: dict[str, tuple[tuple[str, str] | None, tuple[str, str] | None]] = {
    # name: ((short_label en, fr) or None, (by_label en, fr) or None): what the report shows
    # where the label is long or says how the variable was derived, and the phrase that
    # introduces the variable as a domain
    "survey_language": (None, ("by language of the questionnaire",
                               "selon la langue du questionnaire")),
    "province": (("Province or territory", "Province ou territoire"),
                 ("by province or territory", "selon la province ou le territoire")),
    "region": (("Region", "Région"), ("by region", "selon la région")),
    "age_band": (("Age band", "Groupe d'âge"), ("by age band", "selon le groupe d'âge")),
    "gender": (None, ("by gender", "selon le genre")),
    "gender_plus": (("Gender (Women+, Men+)", "Genre (Femmes+, Hommes+)"),
                    ("by gender (Women+, Men+)", "selon le genre (Femmes+, Hommes+)")),
    "mentor_type": (("Kind of mentoring", "Type de mentorat"),
                    ("by kind of mentoring", "selon le type de mentorat")),
    "relationship_length": (("Length of the longest relationship",
                             "Durée de la plus longue relation"),
                            ("by length of the longest mentoring relationship",
                             "selon la durée de la plus longue relation de mentorat")),
    "family_income": (("Family income growing up", "Revenu familial pendant l'enfance"),
                      ("by family income growing up",
                       "selon le revenu familial pendant l'enfance")),
    "indigenous": (None, ("by Indigenous identity", "selon l'identité autochtone")),
    "racialized": (("Population group", "Groupe de population"),
                   ("by population group", "selon le groupe de population")),
    "racialized_group": (("Racialized group", "Groupe racisé"),
                         ("by racialized group", "selon le groupe racisé")),
    "sexual_orientation": (None, ("by sexual orientation", "selon l'orientation sexuelle")),
    "transgender": (("Transgender or non-binary", "Personne trans ou non binaire"),
                    ("by gender identity (transgender or cisgender)",
                     "selon l'identité de genre (trans ou cisgenre)")),
    "lgbtq2s": (("2SLGBTQ+", "2ELGBTQ+"), ("by 2SLGBTQ+ identity", "selon l'identité 2ELGBTQ+")),
    "disability": (("Disability or long-term condition",
                    "Incapacité ou problème de santé de longue durée"),
                   ("by disability", "selon l'incapacité")),
    "immigration": (None, ("by immigration", "selon l'immigration")),
    "newcomer": (("Newcomer (immigrated in the last 10 years)",
                  "Nouvel arrivant (immigré depuis moins de 10 ans)"),
                 ("by newcomer status", "selon le statut de nouvel arrivant")),
    "risk_any": (("At least one risk factor growing up",
                  "Au moins un facteur de risque pendant l'enfance"),
                 ("by risk factors growing up", "selon les facteurs de risque pendant l'enfance")),
    "org_type": (None, ("by type of organisation", "selon le type d'organisme")),
    "size_band": (("Program size", "Taille du programme"),
                  ("by program size", "selon la taille du programme")),
    "budget_band": (None, ("by annual budget", "selon le budget annuel")),
    "serves_after_18": (("Serves young people after 18", "Sert des jeunes après 18 ans"), None),
}  # fmt: skip


PEER_LABELS: dict[str, Labels] = {
    # what the programs of a level are, as a phrase after "programs" (a benchmark page's
    # peer group in words: "programs run by dedicated mentoring organisations in Ontario with
    # fewer than 50 youth")
    "org_type": {
        1: ("run by dedicated mentoring organisations", "d'organismes voués au mentorat"),
        2: ("run by multi-service agencies", "d'organismes multiservices"),
        3: ("run by schools or school boards", "d'écoles ou de conseils scolaires"),
        4: ("run by other organisations", "d'autres organismes"),
    },
    "region": {
        1: ("in Atlantic Canada", "dans l'Atlantique"),
        2: ("in Quebec", "au Québec"),
        3: ("in Ontario", "en Ontario"),
        4: ("in the Prairies", "dans les Prairies"),
        5: ("in British Columbia", "en Colombie-Britannique"),
        6: ("in the Territories", "dans les territoires"),
    },
    "size_band": {
        1: ("with fewer than 50 youth", "servant moins de 50 jeunes"),
        2: ("with 50 to 199 youth", "servant de 50 à 199 jeunes"),
        3: ("with 200 youth or more", "servant 200 jeunes ou plus"),
    },
}


def with_report_labels(
    entries: list[dict[str, Any]], *, peers: bool = False
) -> list[dict[str, Any]]:
    """The entries with their :data:`REPORT_LABELS` (``short_label``, ``by_label``) after
    ``label`` and, with ``peers`` (a survey of programs), their :data:`PEER_LABELS` after
    ``value_labels``, as the codebook writes them."""
    out = []
    for entry in entries:
        short, by = REPORT_LABELS.get(entry["name"], (None, None))
        extra = {
            field: {"en": text[0], "fr": text[1]}
            for field, text in (("short_label", short), ("by_label", by))
            if text is not None
        }
        head = {"name": entry["name"], "label": entry["label"], **extra}
        rest = {k: v for k, v in entry.items() if k not in head}
        if peers and entry["name"] in PEER_LABELS:
            at = list(rest).index("value_labels") + 1
            items = list(rest.items())
            peer = {c: {"en": e, "fr": f} for c, (e, f) in PEER_LABELS[entry["name"]].items()}
            rest = dict([*items[:at], ("peer_labels", peer), *items[at:]])
        out.append({**head, **rest})
    return out


def variable(
    name: str,
    en: str,
    fr: str,
    kind: str,
    labels: Labels | None = None,
    *,
    missing: Labels | None = None,
    question: str | None = None,
    measure: str | None = None,
    waves: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One codebook entry; ``missing`` labels are added to the value labels as missing codes."""
    entry: dict[str, Any] = {"name": name, "label": {"en": en, "fr": fr}, "type": kind}
    every = {**(labels or {}), **(missing or {})}
    if every:
        entry["value_labels"] = {code: {"en": e, "fr": f} for code, (e, f) in every.items()}
    if missing:
        entry["missing_codes"] = list(missing)
    if question:
        entry["question"] = question
    if measure:
        entry["measure"] = measure
    if waves:
        entry["waves"] = waves
    return entry


BELONGING_ITEMS = {
    "belong_1": ("I feel I belong in my community", "Je sens que j'appartiens à ma communauté"),
    "belong_2": ("There are people I can turn to", "Il y a des gens vers qui je peux me tourner"),
    "belong_3": ("I often feel like an outsider", "Je me sens souvent comme un étranger"),
    "belong_4": ("People around me value me", "Les gens autour de moi m'apprécient"),
}
ATTENTION_ITEM = ("To show you read this, choose 'Disagree'", "Pour montrer que vous lisez ceci, "
                  "choisissez « En désaccord »")  # fmt: skip
SWEMWBS_ITEMS = {
    # Topic of each SWEMWBS item (short labels, not the licensed wording); see surveys/README.md.
    "swemwbs_1": ("Optimistic about the future", "Optimiste face à l'avenir"),
    "swemwbs_2": ("Feeling useful", "Se sentir utile"),
    "swemwbs_3": ("Feeling relaxed", "Se sentir détendu"),
    "swemwbs_4": ("Dealing with problems well", "Bien gérer les problèmes"),
    "swemwbs_5": ("Thinking clearly", "Avoir les idées claires"),
    "swemwbs_6": ("Feeling close to other people", "Se sentir proche des autres"),
    "swemwbs_7": ("Able to make up own mind", "Capable de se faire sa propre opinion"),
}
RELATIONSHIP_ITEMS = {
    "rq_cared": ("My mentor cared about me", "Mon mentor se souciait de moi"),
    "rq_trust": ("I could trust my mentor", "Je pouvais faire confiance à mon mentor"),
    "rq_goals": ("My mentor helped me reach my goals", "Mon mentor m'a aidé à atteindre mes buts"),
    "rq_understood": ("My mentor understood me", "Mon mentor me comprenait"),
}
PRACTICE_ITEMS = {
    "practice_recruitment": ("Recruitment of mentors", "Recrutement des mentors"),
    "practice_screening": ("Screening of mentors", "Filtrage des mentors"),
    "practice_training": ("Training of mentors", "Formation des mentors"),
    "practice_matching": ("Matching mentors and mentees", "Jumelage des mentors et mentorés"),
    "practice_monitoring": ("Monitoring and support of matches", "Suivi et soutien des jumelages"),
    "practice_closure": ("Closure of matches", "Clôture des jumelages"),
}
COLLABORATION_ITEMS = {
    "collab_referrals": (
        "Referrals with other organisations",
        "Références avec d'autres organismes",
    ),
    "collab_shared_training": ("Shared training", "Formation partagée"),
    "collab_shared_data": ("Shared data", "Données partagées"),
    "collab_joint_funding": ("Joint funding applications", "Demandes de financement conjointes"),
    "collab_shared_measurement": ("Shared measurement", "Mesure commune"),
}


BARRIER_REASON_ITEMS = {
    "barrier_none_nearby": ("No mentor or program nearby", "Aucun mentor ni programme à proximité"),
    "barrier_waitlist": ("Program waitlist too long", "Liste d'attente trop longue"),
    "barrier_cost_transport": ("Cost or transportation", "Coût ou transport"),
    "barrier_did_not_know": (
        "Did not know how to find a mentor",
        "Ne savait pas comment trouver un mentor",
    ),
    "barrier_no_shared_identity": (
        "No mentor who shared my identity or experiences",
        "Aucun mentor qui partageait mon identité ou mon vécu",
    ),
    "barrier_family": ("My family did not agree", "Ma famille n'était pas d'accord"),
    "barrier_uncomfortable": ("Felt uncomfortable asking", "Mal à l'aise de demander"),
    "barrier_other": ("Another reason", "Autre raison"),
}
"""Reasons for the barriers (a multiple-choice question: one selected / not selected item each;
asked if a barrier was met at 6-11 or 12-18)."""

PREFER_NOT_99: Labels = {99: PREFER_NOT[9]}
VISIBLE_MINORITY: Labels = {
    # Statistics Canada's visible-minority groups (Census 2021), then White
    1: ("South Asian", "Sud-Asiatique"),
    2: ("Chinese", "Chinois"),
    3: ("Black", "Noir"),
    4: ("Filipino", "Philippin"),
    5: ("Arab", "Arabe"),
    6: ("Latin American", "Latino-Américain"),
    7: ("Southeast Asian", "Asiatique du Sud-Est"),
    8: ("West Asian", "Asiatique occidental"),
    9: ("Korean", "Coréen"),
    10: ("Japanese", "Japonais"),
    11: ("Another visible minority", "Autre minorité visible"),
    12: ("Multiple visible minorities", "Minorités visibles multiples"),
    13: ("White", "Blanc"),
    14: ("Indigenous, no visible-minority group", "Autochtone, sans groupe de minorité visible"),
}


def equity_variables() -> list[dict[str, Any]]:
    """Identity and risk questions of the youth survey, with their derived yes/no variables.

    "Prefer not to say" is a declared missing code everywhere (9; 99 for the population group,
    whose codes run past 9); a derived yes/no is missing (9) unless its parts settle it.
    """
    v = variable
    derived_missing = {9: ("Not determined (prefer not to say on a part)",
                           "Indéterminé (préfère ne pas répondre à une partie)")}  # fmt: skip
    yes_no_pnts = {"missing": PREFER_NOT, "measure": "nominal"}
    return [
        v("indigenous", "Indigenous identity", "Identité autochtone", "categorical",
          {1: ("First Nations", "Premières Nations"), 2: ("Métis", "Métis"),
           3: ("Inuit", "Inuit"), 4: ("Not Indigenous", "Non autochtone")},
          missing=PREFER_NOT, question="Q21", measure="nominal"),
        v("racialized", "Population group (Statistics Canada visible-minority groups, White)",
          "Groupe de population (groupes de minorités visibles de Statistique Canada, Blanc)",
          "categorical", VISIBLE_MINORITY, missing=PREFER_NOT_99, question="Q22",
          measure="nominal"),
        v("racialized_group", "Racialized group (derived from the population group)",
          "Groupe racisé (dérivé du groupe de population)", "categorical",
          {1: ("Black", "Noir"), 2: ("Another racialized group", "Autre groupe racisé"),
           3: ("White", "Blanc"),
           4: ("Indigenous, not otherwise racialized", "Autochtone, non racisé par ailleurs")},
          missing=PREFER_NOT, measure="nominal"),
        v("sexual_orientation", "Sexual orientation", "Orientation sexuelle", "categorical",
          {1: ("Heterosexual", "Hétérosexuel"), 2: ("Gay or lesbian", "Gai ou lesbienne"),
           3: ("Bisexual or pansexual", "Bisexuel ou pansexuel"), 4: ("Two-Spirit", "Bispirituel"),
           5: ("Another sexual orientation (e.g. asexual, queer)",
               "Autre orientation sexuelle (p. ex. asexuel, queer)")},
          missing=PREFER_NOT, question="Q23", measure="nominal"),
        v("transgender", "Transgender or non-binary (gender differs from sex assigned at birth)",
          "Personne trans ou non binaire (genre différent du sexe assigné à la naissance)",
          "categorical", {1: ("Transgender or non-binary", "Trans ou non binaire"),
                          2: ("Cisgender", "Cisgenre")}, question="Q24", **yes_no_pnts),
        v("lgbtq2s", "2SLGBTQ+ (derived: sexual minority, transgender or non-binary)",
          "2ELGBTQ+ (dérivé : minorité sexuelle, personne trans ou non binaire)",
          "categorical", YES_NO, missing=derived_missing, measure="nominal"),
        v("disability", "Diagnosed disability or long-term condition (any kind)",
          "Incapacité ou problème de santé de longue durée diagnostiqué (tout type)",
          "categorical", YES_NO, question="Q25", **yes_no_pnts),
        v("immigration", "Immigration", "Immigration", "categorical",
          {1: ("Born in Canada", "Né au Canada"),
           2: ("Immigrated more than 10 years ago", "Immigré il y a plus de 10 ans"),
           3: ("Immigrated in the last 10 years", "Immigré au cours des 10 dernières années")},
          missing=PREFER_NOT, question="Q26", measure="nominal"),
        v("newcomer", "Newcomer (immigrated in the last 10 years; derived)",
          "Nouvel arrivant (immigré au cours des 10 dernières années; dérivé)", "categorical",
          YES_NO, **yes_no_pnts),
        v("risk_justice", "Growing up, a family member was involved with the justice system",
          "Pendant l'enfance, un membre de la famille a eu affaire au système de justice",
          "categorical", YES_NO, question="Q27", **yes_no_pnts),
        v("risk_school", "Growing up, had serious trouble at school (e.g. suspended, held back)",
          "Pendant l'enfance, a eu de graves difficultés à l'école (p. ex. suspension, "
          "redoublement)", "categorical", YES_NO, question="Q28", **yes_no_pnts),
        v("risk_economic", "Growing up, the family faced economic hardship",
          "Pendant l'enfance, la famille a connu des difficultés économiques", "categorical",
          YES_NO, question="Q29", **yes_no_pnts),
        v("risk_any", "At least one risk factor growing up (derived)",
          "Au moins un facteur de risque pendant l'enfance (dérivé)", "categorical", YES_NO,
          missing=derived_missing, measure="nominal"),
    ]  # fmt: skip


def barrier_variables() -> list[dict[str, Any]]:
    """Barriers to finding a mentor at 6-11 and 12-18, and their reasons (multiple choice)."""
    v = variable
    out = [
        v("barriers_6_11", "Met barriers to finding a mentor at ages 6-11",
          "A rencontré des obstacles pour trouver un mentor entre 6 et 11 ans", "categorical",
          YES_NO, missing=DONT_KNOW, question="Q10a", measure="nominal"),
        v("barriers_12_18", "Met barriers to finding a mentor at ages 12-18",
          "A rencontré des obstacles pour trouver un mentor entre 12 et 18 ans", "categorical",
          YES_NO, missing=DONT_KNOW, question="Q10b", measure="nominal"),
    ]  # fmt: skip
    for i, (name, (en, fr)) in enumerate(BARRIER_REASON_ITEMS.items()):
        out.append(
            v(name, f"Barrier: {en}", f"Obstacle : {fr}", "categorical", SELECTED,
              question=f"Q10c_{i + 1}", measure="nominal")
        )  # fmt: skip
    return out


def youth_variables() -> list[dict[str, Any]]:
    """The youth survey's codebook entries, in questionnaire order."""
    v = variable
    age_bands = {code: (label, label) for code, (label, _, _) in AGE_BANDS.items()}
    out = [
        v("respondent_id", "Respondent id (opaque)", "Identifiant du répondant (opaque)", "text"),
        v(
            "survey_language",
            "Language of the questionnaire",
            "Langue du questionnaire",
            "categorical",
            LANGUAGE_LABELS,
            measure="nominal",
        ),
        v(
            "province",
            "Province or territory of residence (stratum)",
            "Province ou territoire de résidence (strate)",
            "categorical",
            PROVINCE_LABELS,
            question="Q1",
            measure="nominal",
        ),
        v(
            "region",
            "Region (derived from province)",
            "Région (dérivée de la province)",
            "categorical",
            REGION_LABELS,
            measure="nominal",
        ),
        v(
            "design_weight",
            "Design weight (population / sample size in the stratum)",
            "Poids d'échantillonnage (population / taille de l'échantillon dans la strate)",
            "numeric",
            measure="scale",
        ),
        v("age", "Age in years", "Âge en années", "numeric", question="Q2", measure="scale"),
        v(
            "age_band",
            "Age band (derived; missing outside 18-30)",
            "Groupe d'âge (dérivé; manquant hors 18-30)",
            "categorical",
            age_bands,
            measure="ordinal",
        ),
        v(
            "gender",
            "Gender",
            "Genre",
            "categorical",
            {
                1: ("Woman", "Femme"),
                2: ("Man", "Homme"),
                3: ("Non-binary or another gender", "Non binaire ou autre genre"),
            },
            missing=PREFER_NOT,
            question="Q3",
            measure="nominal",
        ),
        v(
            "gender_plus",
            "Gender for weighting (Statistics Canada Women+/Men+)",
            "Genre pour la pondération (Femmes+/Hommes+ de Statistique Canada)",
            "categorical",
            {1: ("Women+", "Femmes+"), 2: ("Men+", "Hommes+")},
            measure="nominal",
        ),
        v(
            "had_mentor_6_11",
            "Had a mentor at ages 6-11",
            "A eu un mentor entre 6 et 11 ans",
            "categorical",
            YES_NO,
            missing=DONT_KNOW,
            question="Q4",
            measure="nominal",
        ),
        v(
            "had_mentor_12_18",
            "Had a mentor at ages 12-18",
            "A eu un mentor entre 12 et 18 ans",
            "categorical",
            YES_NO,
            missing=DONT_KNOW,
            question="Q5",
            measure="nominal",
            waves={"2021": {"name": "mentor1218", "recode": {1: 1, 0: 2}}},
        ),
        v(
            "mentor_type",
            "Kind of mentoring (asked if mentored)",
            "Type de mentorat (si mentoré)",
            "categorical",
            {
                1: ("Structured (program) only", "Structuré (programme) seulement"),
                2: ("Informal (natural) only", "Informel (naturel) seulement"),
                3: ("Both structured and informal", "Structuré et informel"),
            },
            missing=DONT_KNOW,
            question="Q6",
            measure="nominal",
        ),
        v(
            "relationship_length",
            "Length of the longest mentoring relationship",
            "Durée de la plus longue relation de mentorat",
            "categorical",
            {
                1: ("Less than 1 year", "Moins d'un an"),
                2: ("1 to 2 years", "1 à 2 ans"),
                3: ("3 years or more", "3 ans ou plus"),
            },
            missing=DONT_KNOW,
            question="Q7",
            measure="ordinal",
        ),
        v(
            "num_mentors",
            "Number of mentors at ages 6-18",
            "Nombre de mentors entre 6 et 18 ans",
            "numeric",
            question="Q8",
            measure="scale",
        ),
    ]
    for i, (name, (en, fr)) in enumerate(RELATIONSHIP_ITEMS.items()):
        out.append(
            v(
                name,
                en,
                fr,
                "categorical",
                AGREE,
                missing=PREFER_NOT,
                question=f"Q9_{i + 1}",
                measure="ordinal",
            )
        )
    out.append(
        v(
            "wanted_mentor_no_mentor",
            "Wanted a mentor at ages 6-18 but had none",
            "A voulu un mentor entre 6 et 18 ans sans en avoir",
            "categorical",
            YES_NO,
            missing=DONT_KNOW,
            question="Q10",
            measure="nominal",
        )
    )
    out += barrier_variables()
    for i, (name, (en, fr)) in enumerate(BELONGING_ITEMS.items()):
        out.append(
            v(
                name,
                en,
                fr,
                "categorical",
                AGREE,
                missing=PREFER_NOT,
                question=f"Q11_{i + 1}",
                measure="ordinal",
            )
        )
    out.append(
        v(
            "attention_check",
            *ATTENTION_ITEM,
            "categorical",
            AGREE,
            question="Q11b",
            measure="ordinal",
        )
    )
    for i, (name, (en, fr)) in enumerate(SWEMWBS_ITEMS.items()):
        out.append(
            v(name, en, fr, "categorical", FREQUENCY, question=f"Q12_{i + 1}", measure="ordinal")
        )
    out += [
        v("mental_health", "Self-rated mental health", "Santé mentale autoévaluée", "categorical",
          {1: ("Poor", "Mauvaise"), 2: ("Fair", "Passable"), 3: ("Good", "Bonne"),
           4: ("Excellent", "Excellente")}, missing=PREFER_NOT, question="Q13",
          measure="ordinal"),
        v("hs_completed", "Completed high school", "A terminé l'école secondaire",
          "categorical", YES_NO, missing=PREFER_NOT, question="Q14", measure="nominal"),
        v("ps_enrolled", "Ever enrolled in post-secondary education",
          "A déjà été inscrit aux études postsecondaires", "categorical", YES_NO,
          missing=PREFER_NOT, question="Q15", measure="nominal"),
        v("employed", "Currently employed", "Actuellement en emploi", "categorical", YES_NO,
          missing=PREFER_NOT, question="Q16", measure="nominal"),
        v("in_education", "Currently in education or training",
          "Actuellement aux études ou en formation", "categorical", YES_NO, missing=PREFER_NOT,
          question="Q17", measure="nominal"),
        v("volunteered", "Volunteered in the past 12 months",
          "A fait du bénévolat au cours des 12 derniers mois", "categorical", YES_NO,
          missing=PREFER_NOT, question="Q18", measure="nominal"),
        v("is_mentor", "Currently mentors a young person", "Est actuellement mentor d'un jeune",
          "categorical", YES_NO, missing=PREFER_NOT, question="Q19", measure="nominal"),
        v("family_income", "Family income growing up, compared with others",
          "Revenu familial pendant l'enfance, comparé aux autres", "categorical",
          {1: ("Lower", "Plus bas"), 2: ("About average", "Dans la moyenne"),
           3: ("Higher", "Plus élevé")}, missing={**DONT_KNOW, **PREFER_NOT}, question="Q20",
          measure="ordinal"),
        *equity_variables(),
        v("duration_seconds", "Time to complete the questionnaire (seconds)",
          "Durée de remplissage du questionnaire (secondes)", "numeric", measure="scale"),
    ]  # fmt: skip
    return with_report_labels(out)


def organisation_variables() -> list[dict[str, Any]]:
    """The organisation (program) survey's codebook entries, in questionnaire order."""
    v = variable
    out = [
        v("program_id", "Program id (opaque)", "Identifiant du programme (opaque)", "text"),
        v("survey_language", "Language of the questionnaire", "Langue du questionnaire",
          "categorical", LANGUAGE_LABELS, measure="nominal"),
        v("province", "Province or territory", "Province ou territoire", "categorical",
          PROVINCE_LABELS, question="P1", measure="nominal"),
        v("region", "Region (derived from province)", "Région (dérivée de la province)",
          "categorical", REGION_LABELS, measure="nominal"),
        v("org_type", "Type of organisation", "Type d'organisme", "categorical",
          {1: ("Dedicated mentoring organisation", "Organisme voué au mentorat"),
           2: ("Multi-service agency", "Organisme multiservice"),
           3: ("School or school board", "École ou conseil scolaire"),
           4: ("Other", "Autre")}, question="P2", measure="nominal"),
        v("model_one_to_one", "Program model: one-to-one", "Modèle : individuel", "categorical",
          SELECTED, question="P3_1", measure="nominal"),
        v("model_group", "Program model: group", "Modèle : en groupe", "categorical", SELECTED,
          question="P3_2", measure="nominal"),
        v("model_ementoring", "Program model: e-mentoring", "Modèle : mentorat en ligne",
          "categorical", SELECTED, question="P3_3", measure="nominal"),
        v("model_peer", "Program model: peer", "Modèle : entre pairs", "categorical", SELECTED,
          question="P3_4", measure="nominal"),
        v("youth_served", "Youth served in the past year", "Jeunes servis au cours de l'année",
          "numeric", question="P4", measure="scale"),
        v("size_band", "Program size (derived from youth served)",
          "Taille du programme (dérivée des jeunes servis)", "categorical",
          {1: ("Fewer than 50 youth", "Moins de 50 jeunes"),
           2: ("50 to 199 youth", "50 à 199 jeunes"),
           3: ("200 youth or more", "200 jeunes ou plus")},
          measure="ordinal"),
        v("waitlist", "Has a waitlist", "A une liste d'attente", "categorical", YES_NO,
          missing=DONT_KNOW, question="P5", measure="nominal"),
        v("waitlist_youth", "Youth on the waitlist", "Jeunes sur la liste d'attente", "numeric",
          question="P6", measure="scale"),
        v("wait_time_months", "Typical wait for a match (months)",
          "Attente habituelle avant un jumelage (mois)", "numeric", question="P7",
          measure="scale"),
        v("volunteers_recruited", "Volunteer mentors recruited in the past year",
          "Mentors bénévoles recrutés au cours de l'année", "numeric", question="P8",
          measure="scale"),
        v("volunteers_retained", "Of those, still mentoring after 12 months",
          "Parmi eux, toujours mentors après 12 mois", "numeric", question="P9",
          measure="scale"),
    ]  # fmt: skip
    for i, (name, (en, fr)) in enumerate(PRACTICE_ITEMS.items()):
        out.append(
            v(
                name,
                f"Practice: {en}",
                f"Pratique : {fr}",
                "categorical",
                PRACTICE,
                missing=DONT_KNOW,
                question=f"P10_{i + 1}",
                measure="ordinal",
            )
        )
    for i, (name, (en, fr)) in enumerate(COLLABORATION_ITEMS.items()):
        out.append(
            v(
                name,
                f"Collaboration: {en}",
                f"Collaboration : {fr}",
                "categorical",
                YES_NO,
                question=f"P11_{i + 1}",
                measure="nominal",
            )
        )
    out.append(
        v(
            "partner_count",
            "Partner organisations",
            "Organismes partenaires",
            "numeric",
            question="P12",
            measure="scale",
        )
    )
    return with_report_labels(out + capacity_variables(), peers=True)


AGES_ITEMS = {
    "ages_6_11": ("Ages served: 6-11", "Âges servis : 6 à 11 ans"),
    "ages_12_18": ("Ages served: 12-18", "Âges servis : 12 à 18 ans"),
    "ages_19_24": ("Ages served: 19-24 (after 18)", "Âges servis : 19 à 24 ans (après 18 ans)"),
}
FUNDING_ITEMS = {
    "funding_government": ("Government", "Gouvernement"),
    "funding_foundations": ("Foundations", "Fondations"),
    "funding_corporate": ("Corporate sponsors", "Commanditaires d'entreprise"),
    "funding_donations": ("Individual donations", "Dons de particuliers"),
    "funding_fees": ("Program fees", "Frais d'inscription"),
    "funding_other": ("Other sources", "Autres sources"),
}
SERVED_ITEMS = {
    "served_indigenous": ("Indigenous youth", "jeunes Autochtones"),
    "served_racialized": ("Racialized youth", "jeunes racisés"),
    "served_lgbtq2s": ("2SLGBTQ+ youth", "jeunes 2ELGBTQ+"),
    "served_disability": ("Youth with a disability", "jeunes ayant une incapacité"),
    "served_newcomer": ("Newcomer youth", "jeunes nouveaux arrivants"),
}


def capacity_variables() -> list[dict[str, Any]]:
    """Demand and capacity, ages served, funding, budget, staff, youth served by identity."""
    v = variable
    out = [
        v("demand_exceeds_capacity", "Demand for mentoring exceeds what the program can offer",
          "La demande de mentorat dépasse ce que le programme peut offrir", "categorical",
          YES_NO, missing=DONT_KNOW, question="P13", measure="nominal"),
    ]  # fmt: skip
    for i, (name, (en, fr)) in enumerate(AGES_ITEMS.items()):
        out.append(
            v(name, en, fr, "categorical", SELECTED, question=f"P14_{i + 1}", measure="nominal")
        )
    out.append(
        v("serves_after_18", "Serves young people after 18 (derived from ages served)",
          "Sert des jeunes après 18 ans (dérivé des âges servis)", "categorical", YES_NO,
          measure="nominal")
    )  # fmt: skip
    for i, (name, (en, fr)) in enumerate(FUNDING_ITEMS.items()):
        out.append(
            v(name, f"Funding: {en}", f"Financement : {fr}", "categorical", SELECTED,
              question=f"P15_{i + 1}", measure="nominal")
        )  # fmt: skip
    out += [
        v("budget_band", "Annual budget", "Budget annuel", "categorical",
          {1: ("Under $100,000", "Moins de 100 000 $"),
           2: ("$100,000 to $249,999", "100 000 $ à 249 999 $"),
           3: ("$250,000 to $499,999", "250 000 $ à 499 999 $"),
           4: ("$500,000 to $999,999", "500 000 $ à 999 999 $"),
           5: ("$1 million or more", "1 million $ ou plus")},
          missing=PREFER_NOT, question="P16", measure="ordinal"),
        v("paid_staff_fte", "Paid staff (full-time equivalents)",
          "Personnel rémunéré (équivalents temps plein)", "numeric", question="P17",
          measure="scale"),
        v("records_identity", "Records the identity of the youth served",
          "Consigne l'identité des jeunes servis", "categorical", YES_NO, question="P18",
          measure="nominal"),
    ]  # fmt: skip
    for i, (name, (en, fr)) in enumerate(SERVED_ITEMS.items()):
        out.append(
            v(name, f"Youth served: {en} (if recorded)", f"Jeunes servis : {fr} (si consigné)",
              "numeric", question=f"P19_{i + 1}", measure="scale")
        )  # fmt: skip
    return out


def codebook_dict(survey: str, variables: list[dict[str, Any]]) -> dict[str, Any]:
    """The YAML form of a codebook."""
    return {"survey": survey, "variables": variables}
