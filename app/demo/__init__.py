"""Demo data: a local authority, two schools, a person in every role, and a term's history, made through
the areas' own services. Safe to load twice."""
