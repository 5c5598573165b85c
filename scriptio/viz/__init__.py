"""Pictures of models at work, for people: what a recognizer sees, stage by stage."""
