"""Library code behind the Streamlit studio, free of any Streamlit import.

One module per concern:

- ``samples``: bundled example tables (scikit-learn sets and 2-D draws from the prior).
- ``tabular_io``: reading uploaded files and turning chosen columns into a numeric X.
- ``projection``: the 2-D map (UMAP, PCA or two raw columns), cached on disk.
- ``cache_bounds``: every cache of the studio server with its bound (entries, bytes).
- ``disk_budget``: on-disk caches kept under a size, least recently used files out first.
- ``anchors``: anchors as ``dict[int, str]`` (row id -> label name), pure helpers.
- ``anchor_store``: a table's content fingerprint (the key of its anchors in a session).
- ``sessions``: labelling sessions in a SQLite file (WAL), every change an event; undo, replay.
  Beneath it: ``session_database`` (the file, its schema, transactions and recovery),
  ``session_log`` (how a change and an undo are written, replay) and ``session_names``.
- ``comparison``: K-means and other classical methods, label matching and scores.
- ``active``: the model's uncertainty per row (margin), shown on the map.
- ``discovered``: what the model found on its own: the evidence for its K, the clusters
  nobody labelled and naming one (its surest rows become anchors).
- ``export``: the results table offered for download.
- ``result_cache``: slow fits kept on disk.

Legend as in the rest of the package: N=rows, D=columns, K=clusters.
"""
