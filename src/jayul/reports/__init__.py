"""Reports: a shift's or a week's KPIs, alarms, actions taken and refused with the reasons,
and the models' state, from the plant database, as HTML (and PDF through Chromium)."""

from jayul.reports.gather import ReportData, gather
from jayul.reports.html import render_html

__all__ = ["ReportData", "gather", "render_html"]
