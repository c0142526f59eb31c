"""The SKAB validation rule's other detector families (z-score, Mahalanobis, kernel similarity,
forecast, ensemble, CUSUM, ECDF, isolation forest): candidates that only `jayul bench skab`
scores. The product's detector and the `Detector` interface stay in `jayul.health`."""
