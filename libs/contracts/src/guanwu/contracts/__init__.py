"""guanwu.contracts: the data every service agrees on (envelope, events, topics, documents). No I/O here."""
