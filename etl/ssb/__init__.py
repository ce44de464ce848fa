"""All of SSB: the HTTP client, the query plan, the answer cache, the fetch, and the json-stat2 and Klass readers."""
