"""Data resource catalogue and data standards (C1): datasets, elements, 一数一源, code sets."""
