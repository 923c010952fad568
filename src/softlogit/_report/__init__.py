"""Reports of the network experiment: terminal table, plots, HTML page and JSON.

Every report reads a :class:`~softlogit._report._data.ReportData`, built from an
experiment result by :func:`~softlogit._report._adapter.report_data`.
"""
