"""guanwu card signer: signs declarations with the operator's IC card (PC/SC) or a soft token (SM2/SM3)."""
