"""The national view: provinces' published DTI main indicators, and the index and ranks they give."""
