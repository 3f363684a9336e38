"""The data path (C3): decide, scope, mask, deliver — every reader of governed data comes through here."""
