"""Looking inside recurrent networks: one step with every number (``explain``), gradient flow and gate
activity (``diagnostics``), a run traced on its input (``inspection``) and the page that shows it
(``page``)."""
