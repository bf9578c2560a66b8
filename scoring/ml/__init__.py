"""Pure numpy/pandas/scikit-learn code: no Django imports here."""
