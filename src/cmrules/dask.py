"""Paying beyond one machine with Dask: a bag of input dicts in, a bag of slip dicts out, in input order.

>>> import dask.bag as db
>>> import cmrules.dask
>>> slips = cmrules.dask.pay("bar_customer_manager", db.from_sequence(records, npartitions=8))
>>> slips.compute()  # the dicts `cmrules run --format json` writes, in input order

:func:`pay_with_failures` also gives the failures (the errors file's dicts);
:func:`pay_dataframe` takes a Dask DataFrame; :func:`outcomes` gives both per record. Each
partition is paid by the same per-record function as ``cmrules run``, and an employee and
period repeated anywhere in the input fails with ``input.duplicate`` as it does there. Needs
``pip install 'cmrules[dask]'``; see docs/scale.md for a real cluster.
"""

from cmrules.run._dask import outcomes, pay, pay_dataframe, pay_with_failures

__all__ = ["outcomes", "pay", "pay_dataframe", "pay_with_failures"]
