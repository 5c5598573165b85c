"""Frame features for the classic recognizers: sliding windows and handcrafted measures."""
