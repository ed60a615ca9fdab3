"""Everything that talks to Elasticsearch: client factory, index schema, bulk indexing, local node."""
