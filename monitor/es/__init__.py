"""Everything that talks to Elasticsearch: client, index schema, bulk writes, the local node."""
