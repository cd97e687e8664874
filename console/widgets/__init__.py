"""Building blocks shared by console pages: filters, headline figures and chart builders."""
