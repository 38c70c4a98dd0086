"""Readers, writers and file formats: everything that turns files into a :class:`Recording` and back."""
