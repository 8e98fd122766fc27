"""The import wizard's pages, one module a step; they talk to the wizard through `WizardHost`."""
