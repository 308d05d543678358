"""Analysts' corrections: their records, where they are kept, agreement between
annotators, and which sentences to ask about next. No web framework here."""
