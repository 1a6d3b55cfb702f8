"""Rendering: fill a template source in a Jinja2 sandbox, then lay it out as PDF/A-3b.

- ``formatting``: the French filters templates use (``FILTERS``).
- ``html``: ``HtmlTemplates(assets_dir).render(source, context) -> str``.
- ``pdf``: ``PdfRenderer().render(html, assets_dir) -> bytes``, with a URL fetcher that
  serves only the template's asset folder and the shared fonts.
- ``builtin``: where the built-in templates (version 1 of each kind) and fonts live.

Nothing is imported here: ``pdf`` pulls in WeasyPrint (about half a second).
"""
