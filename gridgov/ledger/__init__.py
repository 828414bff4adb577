"""The historical ledger import: a town's past cases from its old platform or spreadsheets,
brought in as closed, imported cases (``docs/ledger.md``)."""
