"""Test support shared by the whole suite: the pytest fixture plugin (:mod:`.fixtures`) and the
Taiping demo snapshot it restores (:mod:`.snapshot`)."""
