"""Profile sections. Each module registers one or more sections with
:func:`wscard.profile.section`; the loader imports every module here."""
