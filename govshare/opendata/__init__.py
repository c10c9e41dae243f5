"""Open data (数据开放): the public portal, DCAT-AP metadata and the CKAN-compatible Action API."""
