"""Golden KPIs of a few fixed runs (kpis.json) and the script that regenerates them (update.py)."""
