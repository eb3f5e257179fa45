"""A virtual SM2 smart card (IC 卡 / U盾 stand-in) speaking the vpcd protocol: a TEST AND DEMO DEVICE.

It lets pcscd + vsmartcard-vpcd present a card to any PC/SC client (pyscard, guanwu's card signer) with the
APDU set described in docs/card-signer.md. Its private key sits in a plain file of its state folder: never put
a real key or a real PIN in it.
"""
