"""Variables of the demo partner survey (``partners``), in the codebook's YAML form.

The questionnaire every member organisation of the collaborative answers once a wave:

- ``sector`` and ``role`` of the respondent's organisation in the infrastructure;
- 3-4 agreement items (1-5, 8 "don't know" as a missing code) for each of the five conditions
  of collective impact, the three pre-conditions, equity and youth voice, named
  ``<condition>_<k>`` (the convention :mod:`ci_eval.analysis.partnership` reads);
- the roster: for every other member ``m``, ``tie_<m>`` (worked together this year), how
  (``info_<m>``, ``joint_<m>``, ``data_<m>``, ``fund_<m>``: selected or not) and the PARTNER tool
  ratings of the relationship (Varda et al., 2008-): trust (``trust_open_<m>``,
  ``trust_reliable_<m>``, ``trust_mission_<m>``) and value (``value_power_<m>``,
  ``value_resources_<m>``, ``value_involve_<m>``), each 1-4 with 8 "don't know". Each is a
  row ``<m>`` of an array question (``R_<m>``, ``R1_<m>`` ... ``R10_<m>``), so that the
  exported LimeSurvey questionnaire (:mod:`ci_eval.sources.limesurvey_export`) asks them.

>>> names = [v["name"] for v in partner_variables(["M001", "M002"])]
>>> names[:4], len(names)
(['partner_id', 'survey_language', 'sector', 'role'], 61)
"""

from __future__ import annotations

from typing import Any

from ci_eval.demo.codebooks import AGREE, DONT_KNOW, LANGUAGE_LABELS, SELECTED, YES_NO, Labels
from ci_eval.demo.codebooks import variable as v

SECTORS: Labels = {
    1: ("Nonprofit or community organisation", "Organisme sans but lucratif ou communautaire"),
    2: ("Government", "Gouvernement"),
    3: ("Business", "Entreprise"),
    4: ("Philanthropy", "Philanthropie"),
    5: ("Education", "Éducation"),
    6: ("Youth-led organisation", "Organisme dirigé par des jeunes"),
}
ROLES: Labels = {
    1: ("Leadership table", "Table de leadership"),
    2: ("Steering committee", "Comité directeur"),
    3: ("Working group", "Groupe de travail"),
    4: ("Funder", "Bailleur de fonds"),
    5: ("Backbone staff", "Équipe de coordination"),
    6: ("Youth leader", "Jeune leader"),
}
EXTENT: Labels = {
    1: ("Not at all", "Pas du tout"),
    2: ("A small amount", "Un peu"),
    3: ("A fair amount", "Assez"),
    4: ("A great deal", "Beaucoup"),
}

CONDITION_ITEMS: dict[str, list[tuple[str, str]]] = {
    "common_agenda": [
        ("Partners share an understanding of the problem we address",
         "Les partenaires ont une compréhension commune du problème auquel nous nous attaquons"),
        ("We agree on the collaborative's goals for youth",
         "Nous nous entendons sur les objectifs du collectif pour les jeunes"),
        ("My organisation's work is aligned with the common agenda",
         "Le travail de mon organisme s'inscrit dans le programme commun"),
        ("Decisions are guided by the agreed theory of change",
         "Les décisions s'appuient sur la théorie du changement convenue"),
    ],
    "shared_measurement": [
        ("We have agreed on a common set of indicators",
         "Nous avons convenu d'un ensemble commun d'indicateurs"),
        ("My organisation collects data on the shared indicators",
         "Mon organisme recueille des données sur les indicateurs communs"),
        ("Partners use shared data to learn and improve",
         "Les partenaires utilisent les données communes pour apprendre et s'améliorer"),
        ("Results are reported back to partners in a useful form",
         "Les résultats sont communiqués aux partenaires sous une forme utile"),
    ],
    "reinforcing_activities": [
        ("Partners' activities complement rather than duplicate each other",
         "Les activités des partenaires se complètent au lieu de se dédoubler"),
        ("Our work plans are coordinated with other partners'",
         "Nos plans de travail sont coordonnés avec ceux des autres partenaires"),
        ("Working groups turn the common agenda into action",
         "Les groupes de travail traduisent le programme commun en actions"),
        ("Referrals between partners work well for youth",
         "Les aiguillages entre partenaires fonctionnent bien pour les jeunes"),
    ],
    "communication": [
        ("Communication among partners is frequent and open",
         "La communication entre partenaires est fréquente et ouverte"),
        ("I know what other partners are working on",
         "Je sais à quoi travaillent les autres partenaires"),
        ("Disagreements are discussed openly", "Les désaccords sont discutés ouvertement"),
        ("Partners trust one another enough to share problems",
         "Les partenaires se font assez confiance pour se confier leurs difficultés"),
    ],
    "backbone_support": [
        ("The backbone team gives clear strategic guidance",
         "L'équipe de coordination donne une orientation stratégique claire"),
        ("The backbone supports data collection and analysis",
         "L'équipe de coordination soutient la collecte et l'analyse des données"),
        ("The backbone helps partners align their activities",
         "L'équipe de coordination aide les partenaires à harmoniser leurs activités"),
        ("The backbone mobilises funding and public will",
         "L'équipe de coordination mobilise le financement et l'appui du public"),
    ],
    "champions": [
        ("Leaders with influence across sectors champion the collaborative",
         "Des leaders influents de plusieurs secteurs portent le collectif"),
        ("Our champions bring new partners to the table",
         "Nos champions amènent de nouveaux partenaires à la table"),
        ("Champions keep the collaborative on the public agenda",
         "Les champions maintiennent le collectif dans l'espace public"),
    ],
    "urgency": [
        ("There is a shared sense of urgency about youth mentoring",
         "Un sentiment d'urgence à l'égard du mentorat des jeunes est partagé"),
        ("Funders and policy makers see the issue as a priority",
         "Les bailleurs de fonds et les décideurs en font une priorité"),
        ("Partners are ready to change how they work",
         "Les partenaires sont prêts à changer leur façon de travailler"),
    ],
    "resources": [
        ("The collaborative has enough funding for its work",
         "Le collectif dispose d'un financement suffisant pour son travail"),
        ("My organisation can give staff time to the collaborative",
         "Mon organisme peut consacrer du temps de personnel au collectif"),
        ("Resources are committed for at least the next two years",
         "Des ressources sont engagées pour au moins les deux prochaines années"),
    ],
    "equity": [
        ("Decisions consider equity for youth facing barriers",
         "Les décisions tiennent compte de l'équité pour les jeunes qui font face à des obstacles"),
        ("Data are examined by identity group to find gaps",
         "Les données sont examinées par groupe identitaire pour repérer les écarts"),
        ("The communities most affected are represented at the table",
         "Les communautés les plus touchées sont représentées à la table"),
    ],
    "youth_voice": [
        ("Young people take part in the collaborative's decisions",
         "Des jeunes prennent part aux décisions du collectif"),
        ("Youth leaders' input changes what we do",
         "L'apport des jeunes leaders change ce que nous faisons"),
        ("Youth are supported to take part (time, pay, training)",
         "Les jeunes sont soutenus pour participer (temps, rémunération, formation)"),
    ],
}  # fmt: skip
"""Agreement items of each condition, pre-condition, equity and youth voice (EN, FR)."""

TIE_TYPES: dict[str, tuple[str, str]] = {
    "info": ("shared information", "échange d'information"),
    "joint": ("joint activity", "activité commune"),
    "data": ("shared data or measurement", "données ou mesure partagées"),
    "fund": ("joint funding", "financement conjoint"),
}
RATINGS: dict[str, tuple[str, str]] = {
    "trust_open": ("open to discussion", "ouverture à la discussion"),
    "trust_reliable": ("reliable", "fiabilité"),
    "trust_mission": ("shares the mission", "adhésion à la mission"),
    "value_power": ("power and influence", "pouvoir et influence"),
    "value_resources": ("contributes resources", "apport de ressources"),
    "value_involve": ("level of involvement", "niveau d'engagement"),
}
"""The PARTNER tool's three trust and three value ratings of a relationship (1-4)."""


def item_names() -> list[str]:
    """The agreement items, ``<condition>_<k>``, in questionnaire order."""
    return [f"{c}_{k + 1}" for c, items in CONDITION_ITEMS.items() for k in range(len(items))]


def partner_variables(members: list[str]) -> list[dict[str, Any]]:
    """The partner survey's codebook entries for a membership list, in questionnaire order."""
    out = [
        v("partner_id", "Member organisation id (opaque)",
          "Identifiant de l'organisme membre (opaque)", "text", question="C0"),
        v("survey_language", "Language of the questionnaire", "Langue du questionnaire",
          "categorical", LANGUAGE_LABELS, measure="nominal"),
        v("sector", "Sector of the organisation", "Secteur de l'organisme", "categorical",
          SECTORS, question="C1", measure="nominal"),
        v("role", "Role in the collaborative", "Rôle dans le collectif", "categorical", ROLES,
          question="C2", measure="nominal"),
    ]  # fmt: skip
    for q, (condition, items) in enumerate(CONDITION_ITEMS.items()):
        for k, (en, fr) in enumerate(items):
            out.append(
                v(f"{condition}_{k + 1}", en, fr, "categorical", AGREE, missing=DONT_KNOW,
                  question=f"C{q + 3}_{k + 1}", measure="ordinal")
            )  # fmt: skip
    for member in members:
        out.extend(_roster_variables(member))
    return out


def _roster_variables(member: str) -> list[dict[str, Any]]:
    """One roster row: worked with ``member`` this year, how, and the six ratings."""
    out = [
        v(f"tie_{member}", f"Worked with {member} this year",
          f"A travaillé avec {member} cette année", "categorical", YES_NO,
          question=f"R_{member}", measure="nominal"),
    ]  # fmt: skip
    for j, (kind, (en, fr)) in enumerate(TIE_TYPES.items(), start=1):
        out.append(
            v(f"{kind}_{member}", f"With {member}: {en}", f"Avec {member}\u00a0: {fr}",
              "categorical", SELECTED, question=f"R{j}_{member}", measure="nominal")
        )  # fmt: skip
    for j, (rating, (en, fr)) in enumerate(RATINGS.items(), start=len(TIE_TYPES) + 1):
        out.append(
            v(f"{rating}_{member}", f"{member}: {en}", f"{member}\u00a0: {fr}", "categorical",
              EXTENT, missing=DONT_KNOW, question=f"R{j}_{member}", measure="ordinal")
        )  # fmt: skip
    return out
