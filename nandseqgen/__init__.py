"""nandseqgen: rule-valid NAND command sequences for ATE."""
__version__ = "0.1.0"
