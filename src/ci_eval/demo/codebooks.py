"""Variables of the demo surveys, in the codebook's YAML form (see ``HELPERS_STUDY.md``).

The generator writes these as ``surveys/<survey>/codebook.yaml`` and uses the same
labels for the ``.sav`` files, so data and codebook cannot drift apart.

>>> names = [v["name"] for v in youth_variables()]
>>> names[:3], len(names)
(['respondent_id', 'survey_language', 'province'], 40)
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
            question="Q11_5",
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
        v("duration_seconds", "Time to complete the questionnaire (seconds)",
          "Durée de remplissage du questionnaire (secondes)", "numeric", measure="scale"),
    ]  # fmt: skip
    return out


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
    return out


def codebook_dict(survey: str, variables: list[dict[str, Any]]) -> dict[str, Any]:
    """The YAML form of a codebook."""
    return {"survey": survey, "variables": variables}
