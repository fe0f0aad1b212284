"""The report: the bilingual State of Mentoring book, built from the results store only.

- :mod:`~ci_eval.report.format`: numbers per language, estimates with quality flags.
- :mod:`~ci_eval.report.page` and :mod:`~ci_eval.report.chapters`: what book pages draw.
- :mod:`~ci_eval.report.build`: renders ``book/`` per language and runs Jupyter Book.
- :mod:`~ci_eval.report.program_page`: the private benchmark page of one program.
"""
