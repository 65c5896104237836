"""Results releases: the only results staff see.

* `publish`: the pipeline (snapshot of complete responses → `analysis` → suppressed tables → one
  transaction → current release); `snapshot`: which responses a release takes in;
  `build`: the tables; `store`: items as compressed JSON; `released`: what pages read;
  `jobs`/`cli`: the worker, its schedule and `flask --app survey publish-results`.
"""
