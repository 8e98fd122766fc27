"""The Activity page: the workspace's journal, filtered, exported to CSV, steps undone."""
