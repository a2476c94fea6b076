from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=50)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=100)
    price = models.IntegerField()
    stock = models.IntegerField()
    # Raised by every write: a cached row with a lower version than the database had
    # before the read started is a stale read.
    version = models.IntegerField(default=0)
