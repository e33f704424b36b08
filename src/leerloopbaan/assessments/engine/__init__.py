"""Django-free computations of the learning-gain tests: norm bands (``norms``) and the growth of
tutored pupils against similar untutored pupils (``growth``). Plain numbers in, plain numbers out."""
