"""Reconciliation (对账) of an upstream system's monthly list with the town's own orders."""
