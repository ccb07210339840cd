"""Staff workspace views, one module per area; `checklists/urls.py` lists every path."""
