"""Character HMMs with Gaussian-mixture emissions: the classic recognizer and its hybrids."""
