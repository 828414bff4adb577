"""Import of upstream exports (Excel/CSV): upload, map columns, preview, import."""
