"""Template authoring: legal staff write, check, preview and publish template versions.

    variables.py       the documented context of each kind (from the request model, Figures)
    inspect.py         Jinja syntax-tree checks: unknown names (with suggestions), tricks
    validation.py      an upload checked end to end (file, syntax, names, trial fill)
    docx_template.py   Word templates: package checks, docxtpl fill, text for diffs
    libreoffice.py     warm LibreOffice workers (uno_worker.py) converting DOCX to PDF/A
    diff.py            what changed between two versions
    staff_accounts.py  staff sign-in accounts (argon2); cli.py `amiable staff create`
"""
