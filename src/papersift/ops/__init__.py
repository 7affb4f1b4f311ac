"""Operating a home: consistent backups and restores, health checks (`doctor`), metrics."""
