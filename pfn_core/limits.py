"""The studio's and the loader's limits, in one place.

``.streamlit/config.toml`` sets ``server.maxUploadSize`` to ``MAX_UPLOAD_MB`` (a test checks
they agree); everything else reads these names. A table over ``MAX_ROWS`` or ``MAX_COLUMNS``
is refused with a message naming the limit, and the studio offers to sample it down. The
studio's caches are bounded from these limits (``pfn_core.studio.cache_bounds``).
"""

from __future__ import annotations

MAX_UPLOAD_MB = 200  # largest uploaded file (Streamlit's server.maxUploadSize, in megabytes)
MAX_ROWS = 100_000  # rows of a table the studio clusters (a re-cluster is ~3 s at this size)
MAX_COLUMNS = 2_000  # columns of an uploaded table (MNIST's 784 pixels fit)
MAX_FEATURES = MAX_COLUMNS  # columns of X after one-hot encoding text columns
MAX_CATEGORIES = 20  # a text column with more distinct values is refused, not one-hot encoded
MAX_LABELS = 100  # distinct anchor labels in one session's table (K, the clusters it asks for)
MAX_LABEL_LENGTH = 100  # characters in an anchor's label
MAX_SESSION_NAME = 48  # characters in a labelling session's name
MAX_ANCHOR_FILE_ROWS = MAX_ROWS  # lines in an uploaded anchors CSV (one anchor per row)
