"""Importing spreadsheets: the controller behind the menus, the wizard and its pages, history."""
