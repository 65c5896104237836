"""Results: every figure staff see, published as releases, and the tables they are shown in.

The release store and pipeline (worker only, never a web request):
`publish` (snapshot of complete responses → `analysis` → suppressed tables → one transaction →
current release), `snapshot` (which responses a release takes in), `scored` (the snapshot, scored),
`build` (every item of a release), `store` (items as compressed JSON, kept in memory once read),
`jobs`/`cli` (the worker, its schedule, `flask --app survey publish-results`).

What pages read: `released` (the current or a chosen release), `school` (a school's results, shown
alike by both portals), `compare`, `areas` and `disproportionality` (the reviewer's pages, with
`page.Page`).

The tables: `tables/` holds one module per school table (its `Table` and its chart), listed once in
`tables.SCHOOL_TABLES`; `table` is the one table object for page, CSV and XLSX; `labels` the words;
`policy` the suppression threshold (`MIN_N`) and release rule; `disclosure` suppression across tables.
"""
