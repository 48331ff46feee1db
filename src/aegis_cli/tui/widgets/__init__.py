"""Dashboard widgets, one small module each (shared by the scan and train dashboards)."""
